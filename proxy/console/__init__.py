"""The operator's console: a static page (`/console`) over JSON the console reads."""
