"""Media: objects uploaded to the media bucket."""
