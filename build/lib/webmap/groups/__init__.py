"""Groups run their own listing: claims, manager sign-in, edits, offers and needs, partners, contact relay."""
