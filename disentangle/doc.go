// Package disentangle scores how well codes [N, D] of images separate the
// discrete factors [N, F] that generated them, with the metrics of
// google-research/disentanglement_lib (evaluation/metrics/mig.py,
// sap_score.py, dci.py, factor_vae.py, beta_vae.py and utils.py) and the
// sample counts of its unsupervised_study_v1 metric configs: MIG, SAP, DCI,
// the FactorVAE score and the BetaVAE score, plus the dimension × factor
// mutual-information matrix and which dimension carries which factor.
//
// MIG, SAP and DCI score fixed sets (Set); Draw makes one from a Sampler
// the way the library's generate_batch_factor_code does. The FactorVAE and
// BetaVAE scores need images drawn with a factor held fixed, so they take a
// Sampler, which turns factor values into codes (a data set with known
// factors and a model's encoder). Each function's comment gives its
// protocol and where it differs from disentanglement_lib. Everything is
// pure Go on gonum; no function keeps state between calls.
package disentangle
