"""MasKDLoss: the einsum form equals the official 5-D formula; frozen tokens; the
customised-mask warm-up counter; token files."""

import pytest
import torch

from projects.maskd.maskd import MasKDLoss, MaskModule, load_tokens, maskd_level_loss, save_tokens

from .helpers import naive_maskd_loss


def token_file(tmp_path, channels=(8, 8), num_tokens=3, weight_mask=True, seed=0):
    torch.manual_seed(seed)
    modules = torch.nn.ModuleList(MaskModule(c, num_tokens, weight_mask) for c in channels)
    with torch.no_grad():
        for m in modules:
            m.mask_token.normal_(0, 0.3)  # sharper masks than the init, a stricter check
    path = str(tmp_path / 'tokens.pth')
    save_tokens(path, modules, teacher_ckpt='teacher.pth')
    return path, modules


@pytest.mark.parametrize(
    'weight_mask,custom_mask,eps', [(True, False, 0.0), (True, True, 0.0), (False, False, 1e-5)]
)
def test_level_loss_equals_the_naive_formula(weight_mask, custom_mask, eps):
    torch.manual_seed(0)
    module = MaskModule(6, 4, weight_mask).double()
    module.mask_token.data.normal_(0, 0.5)
    feat_s = torch.randn(2, 6, 5, 7, dtype=torch.float64, requires_grad=True)
    feat_t = torch.randn(2, 6, 5, 7, dtype=torch.float64)
    ours = maskd_level_loss(module, feat_s, feat_t, weight_mask, custom_mask, eps)
    ours.backward()
    assert module.mask_token.grad is None  # masks and weights are constants here
    feat_s_naive = feat_s.detach().clone().requires_grad_(True)
    module.requires_grad_(False)
    naive = naive_maskd_loss(module, feat_s_naive, feat_t, weight_mask, custom_mask, eps)
    naive.backward()
    torch.testing.assert_close(ours, naive)
    # The gradient reaches the student feature only, and equals the naive form's.
    torch.testing.assert_close(feat_s.grad, feat_s_naive.grad)


def test_loss_sums_levels_times_the_weight_and_freezes_the_tokens(tmp_path):
    path, modules = token_file(tmp_path)
    loss = MasKDLoss(path, channels=[8, 8], custom_mask=False, loss_weight=7.0)
    assert not any(p.requires_grad for p in loss.mask_modules.parameters())
    torch.testing.assert_close(loss.mask_modules.state_dict(), modules.state_dict())
    feats_s = [torch.randn(2, 8, 6, 6), torch.randn(2, 8, 3, 3)]
    feats_t = [torch.randn(2, 8, 6, 6), torch.randn(2, 8, 3, 3)]
    expected = 7.0 * sum(
        naive_maskd_loss(m, s, t, True, False) for m, s, t in zip(modules, feats_s, feats_t)
    )
    torch.testing.assert_close(loss(feats_s, feats_t), expected)


def test_customised_masks_start_after_the_warmup(tmp_path):
    path, modules = token_file(tmp_path, channels=(8,))
    loss = MasKDLoss(path, channels=[8], custom_mask=True, custom_mask_warmup=2)
    feat_s, feat_t = [torch.randn(1, 8, 4, 4)], [torch.randn(1, 8, 4, 4)]
    plain = naive_maskd_loss(modules[0], feat_s[0], feat_t[0], True, False)
    custom = naive_maskd_loss(modules[0], feat_s[0], feat_t[0], True, True)
    assert not torch.allclose(plain, custom)
    for step in range(4):
        torch.testing.assert_close(loss(feat_s, feat_t), plain if step < 2 else custom)
        loss.step()
    assert int(loss.num_iters) == 4
    assert 'num_iters' in loss.state_dict()  # a buffer: checkpoints carry it


def test_token_files_check_their_layout(tmp_path):
    path, _ = token_file(tmp_path)
    assert set(load_tokens(path)) == {
        f'mask_modules.{lvl}.{k}'
        for lvl in (0, 1)
        for k in ('mask_token', 'prob.0.weight', 'prob.0.bias', 'prob.2.weight', 'prob.2.bias')
    }
    meta = torch.load(path, weights_only=True)['meta']['maskd']
    assert meta['teacher_ckpt'] == 'teacher.pth' and meta['num_levels'] == 2
    # The file is read when training starts (load_tokens) or at first use, not when built.
    with pytest.raises(ValueError, match=r'2 level\(s\) with channels \[8, 8\], but 5 level'):
        MasKDLoss(path, channels=[8] * 5).load_tokens()
    (tmp_path / 'u').mkdir()
    unweighted, _ = token_file(tmp_path / 'u', channels=(8,), weight_mask=False)
    with pytest.raises(ValueError, match='set weight_mask=False'):
        MasKDLoss(unweighted, channels=[8], weight_mask=True).load_tokens()
    with pytest.raises(ValueError, match='model.maskd_loss.tokens is not set'):
        MasKDLoss(None, channels=[8]).load_tokens()
    lazy = MasKDLoss(str(tmp_path / 'not_yet_written.pth'), channels=[8, 8])
    with pytest.raises(FileNotFoundError, match='model.maskd_loss.tokens=.*not_yet_written'):
        lazy.load_tokens()
    loss = MasKDLoss(path, channels=[8, 8])
    with pytest.raises(ValueError, match=r'tokens for 2 level\(s\) but got 1'):
        loss([torch.randn(1, 8, 2, 2)], [torch.randn(1, 8, 2, 2)])
    with pytest.raises(ValueError, match='same shape'):
        loss([torch.randn(1, 8, 2, 2)] * 2, [torch.randn(1, 8, 3, 3)] * 2)
    empty = tmp_path / 'empty.pth'
    torch.save(dict(state_dict=dict(w=torch.zeros(1))), empty)
    with pytest.raises(ValueError, match='holds no receptive tokens'):
        load_tokens(str(empty))
