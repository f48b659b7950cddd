# Mini ConST-CL (context 5) with the paper's local loss weight 0.01 instead
# of the official code's 0.001 (configs/constcl/ablations/*_localw0.01.py
# at full scale). With AdamW the region head and the neck take the same
# steps either way (Adam's step does not scale with the loss); what changes
# is how much the region loss weighs against the global one in the shared
# trunk (docs/learning_proof.md).
_base_ = ['./constcl_r3d50y-w16_1xb8-16x2x2-400it_synthetic.py']

model = dict(local_head=dict(loss_weight=0.01))
