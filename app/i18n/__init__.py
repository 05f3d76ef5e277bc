"""Patient languages: the offered ones, gettext catalogues, pseudo-locales and Babel formats."""
