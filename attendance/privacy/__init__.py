"""Personal data: retention (anonymising trainees once their evidence may go) and the
trainee's own requests (export everything held about them, correct it)."""
