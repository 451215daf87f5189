"""Images: make each catalogued image exist (pull or bootstrap, then provision)."""
