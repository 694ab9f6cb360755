#pragma once
// The *potential* half of long-range methods (what is computed), independent
// of the *method* (direct sum, Ewald, mesh) and of the *tuning* of its
// parameters. Any method only needs the real-space split and the Fourier
// transform of the long-range part provided here.

namespace lodestone {

// 1/r^p split with the Gaussian smearing trick:
//   1/r^p = 1/Gamma(p/2) int_0^inf t^(p/2-1) e^(-r^2 t) dt,
// the long-range part keeps t < 1/(2 sigma^2) (for p = 1 this is the
// potential of a Gaussian charge of width sigma: erf(r / sqrt(2) sigma) / r):
//   long(r)  = gamma(p/2, r^2/2sigma^2) / (Gamma(p/2) r^p)   smooth, finite at 0
//   short(r) = Gamma(p/2, r^2/2sigma^2) / (Gamma(p/2) r^p)   decays like a Gaussian
// Fourier transform of the long part (convention G(k) = int d^3r e^(-ik.r) long(r)):
//   G_p(k) = pi^(3/2) / Gamma(p/2) (k/2)^(p-3) Gamma((3-p)/2, k^2 sigma^2 / 2)
// (p = 1: 4 pi exp(-k^2 sigma^2 / 2) / k^2). Exponents p = 1..6.
class SmearedPowerLaw {
public:
    // Throws lodestone::Error for p outside 1..6 or a non-positive smearing.
    SmearedPowerLaw(int exponent, double smearing);

    int exponent() const { return exponent_; }
    double smearing() const { return smearing_; }

    // Real space, r in Angstrom. real_long accepts r >= 0 (its r -> 0 limit
    // at r = 0, evaluated without cancellation near 0); real_short needs r > 0.
    double real_long(double r) const;
    double real_short(double r) const;
    // d/dr of the above (d_real_long(0) = 0).
    double d_real_long(double r) const;
    double d_real_short(double r) const;
    // real_short and d_real_short together for pair loops: one erfc or exp
    // for both, no argument checks (r > 0 is the caller's duty).
    void real_short_pair(double r, double& value, double& derivative) const;

    // Reciprocal space, k > 0 in 1/Angstrom.
    double fourier(double k) const;
    double d_fourier(double k) const;

    // Finite k -> 0 limit of G_p, only for p > 3 (the k = 0 term of lattice
    // sums): 2 pi^(3/2) (sigma sqrt 2)^(3-p) / (Gamma(p/2) (p - 3)).
    bool has_fourier_at_zero() const { return exponent_ > 3; }
    double fourier_at_zero() const;

    // For p < 3 the k = 0 term diverges; with a uniform neutralising
    // background what remains is lim_{k->0} [G_p(k) - FT(1/r^p)(k)] =
    // -2 pi^(3/2) (sigma sqrt 2)^(3-p) / (Gamma(p/2) (3 - p)) (p = 1:
    // -2 pi sigma^2). A lattice sum of total charge Q gains Q^2 / (2V) times
    // this. Throws for p >= 3.
    double background_correction() const;

    // long(0) = (2 sigma^2)^(-p/2) / Gamma(p/2 + 1): the interaction of a
    // particle with its own smeared cloud, subtracted as q_i^2 long(0) / 2.
    double self_energy_term() const { return real_long(0.0); }

private:
    int exponent_;
    double smearing_;
    double half_p_;       // s = p / 2
    double a_;            // 1 / (2 sigma^2)
    double a_pow_s_;      // a^s
    double fourier_prefactor_;  // pi^(3/2) / Gamma(p/2)
};

}  // namespace lodestone
