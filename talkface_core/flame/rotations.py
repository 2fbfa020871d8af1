"""Rotations in numpy (FLAME poses are axis-angle, Blender bones take Euler angles): Rodrigues'
formula both ways, Euler XYZ, and the Kabsch fit. Plain numpy so Blender code and tests share it."""
from __future__ import annotations

import numpy as np


def skew(v: np.ndarray) -> np.ndarray:
    """The cross-product matrix of v: skew(v) @ x == cross(v, x)."""
    return np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])


def rotation_matrices(theta: np.ndarray) -> np.ndarray:
    """Rotation matrices from axis-angle vectors (radians), Rodrigues' formula: (..., 3) -> (..., 3, 3)."""
    theta = np.asarray(theta, dtype=np.float64)
    flat = theta.reshape(-1, 3)
    angle = np.linalg.norm(flat, axis=1)
    axis = flat / np.where(angle > 0, angle, 1.0)[:, None]
    k = np.zeros((len(flat), 3, 3))
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -axis[:, 2], axis[:, 1], -axis[:, 0]
    k -= k.transpose(0, 2, 1)
    s, c = np.sin(angle)[:, None, None], np.cos(angle)[:, None, None]
    return (np.eye(3) + s * k + (1 - c) * k @ k).reshape(*theta.shape[:-1], 3, 3)


def axis_angle(rot: np.ndarray) -> np.ndarray:
    """The axis-angle vector (radians) of one rotation matrix (angles below pi)."""
    angle = float(np.arccos(np.clip((np.trace(rot) - 1) / 2, -1.0, 1.0)))
    if angle < 1e-12:
        return np.zeros(3)
    axis = np.array([rot[2, 1] - rot[1, 2], rot[0, 2] - rot[2, 0], rot[1, 0] - rot[0, 1]])
    return axis / (2 * np.sin(angle)) * angle


def euler_xyz(rot: np.ndarray) -> np.ndarray:
    """(T, 3) Blender 'XYZ' Euler angles of rotation matrices R = Rz @ Ry @ Rx."""
    return np.stack([np.arctan2(rot[:, 2, 1], rot[:, 2, 2]),
                     np.arcsin(np.clip(-rot[:, 2, 0], -1.0, 1.0)),
                     np.arctan2(rot[:, 1, 0], rot[:, 0, 0])], axis=1)


def fit_rotation(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The rotation best taking centred `source` points onto `target` (Kabsch)."""
    a, b = source - source.mean(axis=0), target - target.mean(axis=0)
    u, _, vt = np.linalg.svd(a.T @ b)
    d = np.sign(np.linalg.det(vt.T @ u.T))
    return vt.T @ np.diag([1.0, 1.0, d]) @ u.T
