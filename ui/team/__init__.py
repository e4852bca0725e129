"""The team screens: review, progress and agreement, the admin's controls, the Correct screen's additions."""
