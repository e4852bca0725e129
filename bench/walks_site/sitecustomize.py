"""Put on PYTHONPATH by bench/walks.py so that the training job's own process, which the launcher
starts with the app's environment, is traced too; does nothing unless WALK_TRACE_OUT is set."""
import importlib.util
import os

# Loaded by its path: bench/ on sys.path would let its scripts shadow modules in the job's process.
_path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "walk_trace.py")
_spec = importlib.util.spec_from_file_location("walk_trace", _path)
_walk_trace = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_walk_trace)
_walk_trace.install_from_env()
