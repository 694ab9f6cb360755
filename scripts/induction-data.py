#!/usr/bin/env python3
"""Dielectric response of rare-gas-like clusters: a data set no local model can learn.

Writes data/induction-clusters.xyz: clusters of 4 to 150 atoms (Ar, Kr, Xe
mixed) shaped as spheres, rods and disks, each labelled with its total static
dipole polarizability, a symmetric 3x3 tensor in A^3 (lambda = 0 + lambda = 2).

Why this reference: in a classical many-body induction model each atom feels
the external field plus the fields of every induced dipole in the cluster, so
the response of the whole is not a sum of atomic pieces. The dipolar fields
decay as 1/r^3 and their sum over a body of dipoles converges only
conditionally -- the result depends on the *shape* of the whole body
(depolarisation): a needle responds more strongly along its axis, a disk
less strongly along its normal, however large they are. A model that sums
contributions of atoms from their local environments within a cutoff sees the
same environments in a rod and a disk and cannot tell them apart.

Model (Applequist, Carl & Fung 1972; Thole 1981): atom i carries an isotropic
polarizability alpha_i and an induced dipole

    mu_i = alpha_i (E + sum_{j != i} T_ij mu_j),
    T_ij = (3 lambda5 r^ r^T - lambda3 I) / r^3          (field at i of a dipole at j)

so (A mu = E) with A = blockdiag(1/alpha_i) - T, B = A^-1 and the cluster's
total polarizability alpha_tot = sum_ij B_ij (the total dipole per unit
uniform field). Undamped (lambda3 = lambda5 = 1), close pairs run into the
"polarisation catastrophe" (A singular at r^3 = 2 alpha); Thole's fix smears
each dipole. We use the exponential smearing of AMOEBA (Ren & Ponder 2003,
Thole's form rho ~ exp(-a u^3)) with a = 0.39 and u = r / (alpha_i alpha_j)^(1/6):

    lambda3 = 1 - exp(-a u^3),   lambda5 = 1 - (1 + a u^3) exp(-a u^3).

At rare-gas distances the damping is a small correction (it changes a Xe-Xe
pair's response by 0.3 % at 4 A, 1e-9 at 6 A; the clusters' alpha_tot by
0.2 % on average, 1 % at most), so the data are essentially Applequist's
physics, but the model stays well defined for any geometry.

Polarizabilities (A^3): Ar 1.64, Kr 2.48, Xe 4.04, close to the measured
static values of the free atoms. Why these three and not Ne (0.39): the
collective effect scales with alpha / (nearest-neighbour distance)^3, and the
heavier rare gases are the most polarisable at their contact distances, so
they show depolarisation most clearly while staying realistic.

Usage: python3 scripts/induction-data.py [--out data/induction-clusters.xyz]
(numpy only). The defaults reproduce the committed file; the script prints a
table of the depolarisation effect by shape and size.
"""

import argparse
import sys

import numpy as np

ALPHA = {"Ar": 1.64, "Kr": 2.48, "Xe": 4.04}  # A^3
# Nearest-neighbour distances of the rare-gas solids near 0 K (A): a mixed
# cluster gets the composition-weighted mean (Vegard's law), so pure Xe is not
# squeezed to the Ar spacing.
NN = {"Ar": 3.76, "Kr": 3.99, "Xe": 4.34}
SPECIES = ("Ar", "Kr", "Xe")
THOLE_A = 0.39  # AMOEBA's dimensionless damping width

# Size buckets (inclusive), split by atom count: training spheres are at most
# 16 A across; the test clusters (60-150 atoms) are 17-24 A (spheres) to 35-73 A
# (rods) long, many local cutoffs (4-5 A), with a smaller share of surface
# atoms than the training clusters. Fitting the training set and
# extrapolating to large clusters are then different questions.
TRAIN_BUCKETS = ((4, 10), (11, 20), (21, 30), (31, 40))
TEST_BUCKETS = ((60, 90), (91, 120), (121, 150))
SHAPES = ("sphere", "rod", "disk")

MIN_DISTANCE = 3.3  # A: no pair closer than a compressed Ar-Ar contact
DECIMALS = 6  # positions are written (and used) rounded to 1e-6 A


# --------------------------------------------------------------------------
# Physics


def thole_factors(r, alpha_i, alpha_j, a=THOLE_A):
    """lambda3, lambda5 of the exponential Thole damping (arrays broadcast)."""
    s = a * r**3 / np.sqrt(alpha_i * alpha_j)  # a u^3, u^3 = r^3 / sqrt(alpha_i alpha_j)
    e = np.exp(-s)
    return 1.0 - e, 1.0 - (1.0 + s) * e


def interaction_matrix(positions, alphas, damping=True, a=THOLE_A):
    """A = blockdiag(alpha_i^-1 I) - T, 3N x 3N, symmetric.

    Built by broadcasting over all pairs at once: clusters have at most a few
    hundred atoms, so the dense N^2 tensor is small and plain numpy is fast.
    """
    positions = np.asarray(positions, dtype=float)
    alphas = np.asarray(alphas, dtype=float)
    n = len(alphas)
    d = positions[:, None, :] - positions[None, :, :]  # r_i - r_j; T is even in d
    r = np.sqrt(np.einsum("ijk,ijk->ij", d, d))
    np.fill_diagonal(r, 1.0)  # placeholder: the diagonal blocks are set below
    if damping:
        l3, l5 = thole_factors(r, alphas[:, None], alphas[None, :], a)
    else:
        l3 = l5 = np.ones_like(r)
    inv3 = 1.0 / r**3
    inv5 = inv3 / r**2
    t = 3.0 * (l5 * inv5)[:, :, None, None] * d[:, :, :, None] * d[:, :, None, :]
    t -= (l3 * inv3)[:, :, None, None] * np.eye(3)
    idx = np.arange(n)
    t[idx, idx] = 0.0  # an atom does not polarise itself
    m = -t
    m[idx, idx] = np.eye(3) / alphas[:, None, None]
    return m.transpose(0, 2, 1, 3).reshape(3 * n, 3 * n)


def polarizability(positions, alphas, damping=True, a=THOLE_A):
    """(alpha_tot 3x3, per-atom effective polarizabilities N x 3 x 3).

    Solves A mu = E for the three unit fields at once (3 right-hand sides:
    cheaper and better conditioned than forming B = A^-1). The per-atom
    effective polarizability sum_j B_ij is the dipole of atom i per unit
    field; summed over the atoms they give alpha_tot.
    """
    n = len(alphas)
    m = interaction_matrix(positions, alphas, damping, a)
    # A must be positive definite: otherwise some field pattern lowers the
    # energy without bound (polarisation catastrophe). Cholesky is the test.
    np.linalg.cholesky(m)
    fields = np.tile(np.eye(3), (n, 1))  # 3N x 3: uniform unit field along x, y, z
    mu = np.linalg.solve(m, fields).reshape(n, 3, 3)  # mu[i, :, k]: dipole of i in field e_k
    total = mu.sum(axis=0)
    # B is symmetric, so alpha_tot is up to rounding; make it exactly so.
    return 0.5 * (total + total.T), mu


# --------------------------------------------------------------------------
# Structures


def random_rotation(rng):
    """Uniform random rotation: a normalised Gaussian quaternion."""
    q = rng.standard_normal(4)
    w, x, y, z = q / np.linalg.norm(q)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


def fcc_sites(nn, half_width):
    """fcc lattice points with nearest-neighbour distance nn in a cube."""
    a0 = nn * np.sqrt(2.0)
    k = int(np.ceil(half_width / a0)) + 1
    g = np.arange(-k, k + 1)
    cells = np.stack(np.meshgrid(g, g, g, indexing="ij"), axis=-1).reshape(-1, 3)
    basis = np.array([[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
    return ((cells[:, None, :] + basis[None, :, :]).reshape(-1, 3)) * a0


def make_cluster(rng, n, shape):
    """N atoms of a jittered fcc solid carved as an ellipsoid.

    Why fcc: it is the rare-gas crystal, so the density and neighbour shells
    are realistic. The ellipsoid takes the N lattice sites with the smallest
    ellipsoidal radius, so its size follows from N; its axes are random with
    respect to the lattice (different facets) and the whole cluster is then
    rotated randomly (targets in every orientation). The jitter makes each
    environment different.
    """
    # Composition first: per-cluster fractions from a flat Dirichlet, so the
    # set holds nearly pure clusters as well as even mixtures.
    fractions = rng.dirichlet(np.ones(len(SPECIES)))
    kinds = rng.choice(len(SPECIES), size=n, p=fractions)
    symbols = [SPECIES[k] for k in kinds]
    # Lattice spacing from the actual composition, +-3 % (thermal expansion,
    # compression): a density spread a local model can see and should learn.
    nn = np.mean([NN[s] for s in symbols]) * rng.uniform(0.97, 1.03)
    if shape == "sphere":
        aspect = 1.0
        axes = np.array([1.0, 1.0, 1.0])
    else:
        aspect = rng.uniform(3.0, 6.0)
        axes = np.array([1.0, 1.0, aspect]) if shape == "rod" else np.array([aspect, aspect, 1.0])
    # Radius of a sphere of N sites (volume nn^3 / sqrt 2 each), stretched
    # along the longest axis, with room to spare for the lattice.
    volume = n * nn**3 / np.sqrt(2.0)
    scale = (3.0 * volume / (4.0 * np.pi * np.prod(axes))) ** (1.0 / 3.0)
    sites = fcc_sites(nn, 1.5 * scale * axes.max() + 2.0 * nn)
    sites = sites @ random_rotation(rng).T + rng.uniform(-0.5, 0.5, 3) * nn
    metric = np.sqrt(((sites / axes) ** 2).sum(axis=1))
    chosen = sites[np.argsort(metric, kind="stable")[:n]]

    # Gaussian jitter, redrawn for any atom in a pair closer than MIN_DISTANCE.
    sigma = 0.05 * nn
    x = chosen + rng.normal(0.0, sigma, chosen.shape)
    for _ in range(1000):
        d = x[:, None, :] - x[None, :, :]
        r = np.sqrt(np.einsum("ijk,ijk->ij", d, d))
        np.fill_diagonal(r, np.inf)
        bad = np.unique(np.nonzero(r < MIN_DISTANCE)[0])
        if len(bad) == 0:
            break
        x[bad] = chosen[bad] + rng.normal(0.0, sigma, (len(bad), 3))
    else:
        raise RuntimeError("could not place atoms at the minimum distance")

    x = (x - x.mean(axis=0)) @ random_rotation(rng).T
    x = np.round(x, DECIMALS) + 0.0  # + 0.0: no "-0.000000" in the file
    return symbols, x, {"aspect": aspect, "nn": nn}


def generate(seed, train_per_bucket, test_per_bucket, damping=True):
    """All frames, in a fixed order: buckets, then shapes, then repeats."""
    rng = np.random.default_rng(seed)
    frames = []
    for split, buckets, count in (("train", TRAIN_BUCKETS, train_per_bucket), ("test", TEST_BUCKETS, test_per_bucket)):
        for lo, hi in buckets:
            for shape in SHAPES:
                for _ in range(count):
                    n = int(rng.integers(lo, hi + 1))
                    symbols, x, extra = make_cluster(rng, n, shape)
                    alphas = np.array([ALPHA[s] for s in symbols])
                    total, mu = polarizability(x, alphas, damping)
                    frames.append({
                        "symbols": symbols, "positions": x, "polarizability": total,
                        "atom_iso": np.trace(mu, axis1=1, axis2=2) / 3.0,
                        "free": alphas.sum(), "size": n, "shape": shape, "set": split, **extra,
                    })
    return frames


# --------------------------------------------------------------------------
# Output


def fmt(v):
    # 10 significant digits: well above any physics tolerance, few enough that
    # LAPACK rounding differences between machines rarely show in the text.
    return "%.10g" % v


def write_extxyz(path, frames):
    """ASE's extended XYZ dialect: 3x3 info arrays as 9 numbers (column-major,
    which for a symmetric tensor is the same as row-major), no Lattice."""
    with open(path, "w") as f:
        for fr in frames:
            p = fr["polarizability"]
            f.write("%d\n" % fr["size"])
            f.write(
                'Properties=species:S:1:pos:R:3:polarizability_atom:R:1 '
                'polarizability="%s" size=%d shape=%s aspect=%.4f nn=%.4f set=%s pbc="F F F"\n'
                % (" ".join(fmt(v) for v in p.T.ravel()), fr["size"], fr["shape"], fr["aspect"], fr["nn"], fr["set"])
            )
            for s, x, a in zip(fr["symbols"], fr["positions"], fr["atom_iso"]):
                f.write("%-2s %12.6f %12.6f %12.6f %s\n" % (s, x[0], x[1], x[2], fmt(a)))


def summary(frames, out=sys.stdout):
    """Depolarisation at a glance, per shape and size bucket:

    iso/N     mean isotropic polarizability per atom, tr(alpha_tot) / 3N (A^3);
    iso/free  tr(alpha_tot) / 3 over the sum of free-atom alphas: the
              collective enhancement, composition divided out;
    par/free, perp/free  the largest and smallest principal values over the
              free-atom sum (rods: along / across the axis; disks: in plane /
              along the normal);
    """
    rows = []
    for split, buckets in (("train", TRAIN_BUCKETS), ("test", TEST_BUCKETS)):
        for lo, hi in buckets:
            for shape in SHAPES:
                sel = [f for f in frames if f["shape"] == shape and lo <= f["size"] <= hi]
                if not sel:
                    continue
                iso_n = np.mean([np.trace(f["polarizability"]) / 3 / f["size"] for f in sel])
                iso = np.mean([np.trace(f["polarizability"]) / 3 / f["free"] for f in sel])
                ev = np.array([np.linalg.eigvalsh(f["polarizability"]) / f["free"] for f in sel])
                rows.append((split, "%d-%d" % (lo, hi), shape, len(sel), iso_n, iso, ev[:, 2].mean(), ev[:, 0].mean()))
    out.write("%-6s %-8s %-7s %4s %8s %9s %9s %9s\n" % ("set", "N", "shape", "n", "iso/N", "iso/free", "max/free", "min/free"))
    for r in rows:
        out.write("%-6s %-8s %-7s %4d %8.4f %9.4f %9.4f %9.4f\n" % r)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="data/induction-clusters.xyz", help="extended XYZ file to write")
    ap.add_argument("--seed", type=int, default=20261202, help="random seed (default reproduces the committed file)")
    ap.add_argument("--train-per-bucket", type=int, default=25,
                    help="clusters per (training size bucket, shape); 4 buckets x 3 shapes")
    ap.add_argument("--test-per-bucket", type=int, default=11,
                    help="clusters per (test size bucket, shape); 3 buckets x 3 shapes")
    ap.add_argument("--quiet", action="store_true", help="no summary table")
    args = ap.parse_args(argv)
    frames = generate(args.seed, args.train_per_bucket, args.test_per_bucket)
    write_extxyz(args.out, frames)
    if not args.quiet:
        print("%d frames written to %s" % (len(frames), args.out))
        summary(frames)


if __name__ == "__main__":
    main()
