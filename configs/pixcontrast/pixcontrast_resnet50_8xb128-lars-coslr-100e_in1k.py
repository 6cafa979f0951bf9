# PixContrast (the PixPro paper's pixel-level contrastive baseline, Eq. 2), ResNet-50,
# ImageNet-1k, 100 epochs, with PixPro's recipe: positives closer than T = 0.7 cell diagonals,
# negatives the other view's remaining cells of the same image, tau = 0.3. Paper only: no code
# was released; see configs/pixcontrast/README.md for the choices made. AMP (fp16) as PixPro's
# recipe; bf16: `--cfg-options optim_wrapper.dtype=bfloat16`.
_base_ = '../pixpro/pixpro_resnet50_8xb128-lars-coslr-100e_in1k.py'

model = dict(
    type='PixContrast',
    ppm=None,  # no PPM: the online projection itself is contrasted
    head=dict(
        _delete_=True, type='PixContrastHead', temperature=0.3, pos_ratio=0.7, neg_ratio=None
    ),  # e.g. 1.0 ignores the cells in [0.7, 1.0) (--pixpro-neg-ratio)
)
