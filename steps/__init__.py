"""pytest-bdd step definitions for features/: thin, they parse the words and call into the drill session."""
