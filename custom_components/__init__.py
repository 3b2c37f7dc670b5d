"""Custom integrations of this repository (HACS installs the folder inside)."""
