"""NER Studio core: corpora, labels, models, training and prediction without UI or SQL."""
from core.threads import passive_wait

passive_wait()  # before any module imports torch: OpenMP reads it once, when it starts
