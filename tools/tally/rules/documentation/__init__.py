"""Documentation (DC): models and sources say what they are; public models document every column."""
