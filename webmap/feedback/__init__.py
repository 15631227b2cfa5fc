""" "You said, we did": dated needs, gap history, the council's responses, and residents hearing back."""
