#include "lodestone/features/soap/cutoff.hpp"

#include <cmath>

#include "lodestone/core/error.hpp"

namespace lodestone {

void CutoffFunction::validate() const {
    if (!(radius > 0.0) || !std::isfinite(radius)) {
        throw Error("cutoff.radius must be a positive finite number (A), got " + format_number(radius));
    }
    if (kind == Kind::ShiftedCosine && (!(width > 0.0) || !(width <= radius))) {
        throw Error("cutoff.smoothing.width must be in (0, cutoff.radius], got " + format_number(width));
    }
}

void CutoffFunction::evaluate(double r, double& value, double& derivative) const {
    if (r >= radius) {
        value = 0.0;
        derivative = 0.0;
        return;
    }
    if (kind == Kind::Step || r <= radius - width) {
        value = 1.0;
        derivative = 0.0;
        return;
    }
    const double phase = M_PI * (r - radius + width) / width;
    value = 0.5 * (1.0 + std::cos(phase));
    derivative = -0.5 * M_PI / width * std::sin(phase);
}

}  // namespace lodestone
