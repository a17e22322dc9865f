"""Training code for the models kbqa learns from public data: the cross-encoder answer reranker.

`squad` reads SQuAD v1.1; `pairs` turns questions into positives and negatives (same paragraph,
and mined by BM25 and the bundled dense model from other articles); `dataset` selects and caches
them; `train` is the CLI (`python -m training.train`, `make train-reranker`); `validate` measures
held-out top-1; `export` checks the ONNX fp32/int8 models against PyTorch and times them.
Nothing here runs at serving time: the service imports only `service.reranker`, which holds the
model definition and the candidate format that training and serving share.
"""
