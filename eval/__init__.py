"""kbqa evaluation: a question set with verbatim evidence, measures, and a runner."""
