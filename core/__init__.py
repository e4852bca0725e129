"""NER Studio core: corpora, labels, models, training and prediction without UI or SQL."""
