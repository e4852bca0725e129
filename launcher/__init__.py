"""Training processes: launch train_job.py for a job row, watch that it lives, cancel it, read its log.

The app never trains in its own process. start_training launches train_job.py in a session of
its own, and the job writes its events to the database (storage/jobs.py). The app only polls,
so it may restart while a job runs; refresh_jobs marks jobs whose process vanished as failed.
"""
from launcher.jobs import (STUDIO_PARAMS, TRAIN_PARAMS, Refused, cancel_job, check_role, job_dir,  # noqa: F401
                           max_running_jobs, start_training, train_flags)
from launcher.processes import LAUNCH_GRACE_S, REPO_ROOT, TRAIN_SCRIPT, VANISHED, read_log, refresh_jobs  # noqa: F401
from launcher.resume import RESUMABLE_STATES, resume_point, resume_problem, resume_training  # noqa: F401
