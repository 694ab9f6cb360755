#pragma once
#include <string>

namespace lodestone {

// Smooth cutoff of the local density, featomic's `cutoff` hyper-parameters.
struct CutoffFunction {
    enum class Kind { Step, ShiftedCosine };

    Kind kind = Kind::ShiftedCosine;
    double radius = 0.0;
    double width = 0.0;  // ShiftedCosine only

    // Throws unless radius > 0 and 0 < width <= radius for ShiftedCosine.
    void validate() const;
    // f(r) and df/dr.
    void evaluate(double r, double& value, double& derivative) const;
};

}  // namespace lodestone
