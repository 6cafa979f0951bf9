"""pcd_infonce_loss / PCDHead against a direct dense computation."""

import pytest
import torch
import torch.nn.functional as F

from mmpcd.models.heads import PCDHead
from mmpcd.models.losses import pcd_infonce_loss


def direct_loss(student, teacher, queue, temperature):
    """The formula written out per image and pixel, with no shared code path."""
    n, d, h, w = student.shape
    total = 0.0
    for i in range(n):
        s = student[i].reshape(d, h * w)
        t = teacher[i].reshape(d, h * w).detach()
        s = s / s.norm(dim=0, keepdim=True)
        t = t / t.norm(dim=0, keepdim=True)
        pos = torch.einsum('dp,dp->p', s, t) / temperature
        neg = torch.einsum('dp,dk->pk', s, queue.detach()) / temperature
        total = total - (pos - torch.logsumexp(torch.cat([pos[:, None], neg], 1), 1)).sum()
    return total / (n * h * w)


@pytest.fixture
def maps():
    torch.manual_seed(0)
    student = torch.randn(3, 16, 4, 5, requires_grad=True)
    teacher = torch.randn(3, 16, 4, 5, requires_grad=True)
    queue = F.normalize(torch.randn(16, 300), dim=0).requires_grad_(True)
    return student, teacher, queue


@pytest.mark.parametrize('chunk_size', [0, None, 1, 7, 60, 1000])
def test_equals_the_direct_computation(maps, chunk_size):
    student, teacher, queue = maps
    expected = direct_loss(student, teacher, queue, 0.2)
    (grad_expected,) = torch.autograd.grad(expected, student)
    loss = pcd_infonce_loss(student, teacher, queue, 0.2, chunk_size=chunk_size)
    (grad,) = torch.autograd.grad(loss, student)
    assert torch.allclose(loss, expected, atol=1e-6, rtol=1e-6)
    assert torch.allclose(grad, grad_expected, atol=1e-7, rtol=1e-5)


def test_chunked_equals_unchunked(maps):
    student, teacher, queue = maps
    dense = pcd_infonce_loss(student, teacher, queue, 0.5, chunk_size=0)
    (grad_dense,) = torch.autograd.grad(dense, student)
    for chunk_size in (None, 3, 13):
        chunked = pcd_infonce_loss(student, teacher, queue, 0.5, chunk_size=chunk_size)
        (grad,) = torch.autograd.grad(chunked, student)
        assert (chunked - dense).abs() < 1e-6
        assert (grad - grad_dense).abs().max() < 1e-7


@pytest.mark.parametrize('chunk_size', [0, None])
def test_gradients_reach_only_the_student(maps, chunk_size):
    student, teacher, queue = maps
    pcd_infonce_loss(student, teacher, queue, chunk_size=chunk_size).backward()
    assert student.grad is not None and student.grad.abs().sum() > 0
    assert teacher.grad is None and queue.grad is None


def test_matching_teacher_gives_a_lower_loss(maps):
    student, _, queue = maps
    other = torch.randn_like(student)
    assert pcd_infonce_loss(student, student, queue) < pcd_infonce_loss(student, other, queue)


def test_head_and_errors(maps):
    student, teacher, queue = maps
    head = PCDHead(temperature=0.2)
    assert torch.allclose(
        head.loss(student, teacher, queue), direct_loss(student, teacher, queue, 0.2), atol=1e-6
    )
    with pytest.raises(ValueError, match='same shape'):
        pcd_infonce_loss(student, teacher[:, :, :2], queue)
    with pytest.raises(ValueError, match=r'queue must be \(D, K\) with D = 16'):
        pcd_infonce_loss(student, teacher, queue[:8])
    with pytest.raises(ValueError, match='chunk_size'):
        pcd_infonce_loss(student, teacher, queue, chunk_size=-1)
    with pytest.raises(ValueError, match='temperature'):
        PCDHead(temperature=0)
