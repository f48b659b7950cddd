# Temporal sampling of the context memory: 'nearest' instead of the official
# 'center' (see ContextCrossAttentionNeck.context_sampling).
_base_ = ['../constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py']

model = dict(neck=dict(context_sampling='nearest'))
