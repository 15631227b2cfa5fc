"""What residents say they need: the need form and its storage."""
