"""Files: uploads, listing and downloads, with their content in the database or S3."""
