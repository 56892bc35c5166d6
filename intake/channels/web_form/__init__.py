"""The public contact form: one embeddable page per practice at /f/<slug>/."""
