"""The desired-state language and the API shapes of every surface berth speaks."""
