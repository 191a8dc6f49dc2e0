"""exp, log and expm1 from IEEE 754 additions, multiplications and
divisions alone, so that JavaScript reproduces them bit for bit
(templates/site/assess.js holds the same functions, operation for
operation). The C library and browsers' Math.exp and Math.log differ in the
last bit for about one argument in ten, and the placement questionnaire
must choose the same question in the terminal and in the browser. The
algorithms are fdlibm's (as in e_exp.c and e_log.c), accurate to about one
unit in the last place; the bit twiddling of the originals is done with
frexp and powers of two.
"""

from __future__ import annotations

import math

_LN2_HI = 6.93147180369123816490e-01  # its low bits are zero: k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e+00
_HALF_LN2 = 0.34657359027997264
_EXP_OVERFLOW = 7.09782712893383973096e+02
_EXP_UNDERFLOW = -7.45133219101941108420e+02
_TINY = 2.0 ** -28
_P1, _P2, _P3, _P4, _P5 = (1.66666666666666019037e-01, -2.77777777770155933842e-03, 6.61375632143793436117e-05,
                           -1.65339022054652515390e-06, 4.13813679705723846039e-08)
_SQRT_HALF = 0.7071067811865476
_LG1, _LG2, _LG3, _LG4, _LG5, _LG6, _LG7 = (
    6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01, 2.222219843214978396e-01,
    1.818357216161805012e-01, 1.531383769920937332e-01, 1.479819860511658591e-01)
LN2 = 0.6931471805599453


def exp(x: float) -> float:
    if x != x:
        return x
    if x > _EXP_OVERFLOW:
        return math.inf
    if x < _EXP_UNDERFLOW:
        return 0.0
    if -_TINY < x < _TINY:
        return 1.0 + x
    k, hi, lo = 0, x, 0.0
    if x > _HALF_LN2 or x < -_HALF_LN2:  # x = k ln2 + r, |r| <= ln2 / 2
        k = int(x * _INV_LN2 + (0.5 if x > 0 else -0.5))  # int() truncates, as JavaScript's Math.trunc
        hi = x - k * _LN2_HI
        lo = k * _LN2_LO
    r = hi - lo
    t = r * r
    c = r - t * (_P1 + t * (_P2 + t * (_P3 + t * (_P4 + t * _P5))))
    if k == 0:
        return 1.0 - ((r * c) / (c - 2.0) - r)
    y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)
    if k > 1023:
        return y * 2.0 * math.ldexp(1.0, 1023)
    if k >= -1021:
        return y * math.ldexp(1.0, k)
    return y * math.ldexp(1.0, k + 1000) * math.ldexp(1.0, -1000)  # one rounding, into the subnormals


def log(x: float) -> float:
    if x != x or x < 0.0:
        return math.nan
    if x == 0.0:
        return -math.inf
    if x == math.inf:
        return x
    m, k = math.frexp(x)  # x = m 2^k, 1/2 <= m < 1, exactly
    if m < _SQRT_HALF:
        m, k = m * 2.0, k - 1
    f = m - 1.0  # exact; -0.29 < f < 0.42
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    r = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7))) + w * (_LG2 + w * (_LG4 + w * _LG6))
    half_square = 0.5 * f * f
    return k * _LN2_HI - ((half_square - (s * (half_square + r) + k * _LN2_LO)) - f)


def expm1(x: float) -> float:
    """exp(x) - 1, accurate for small x too (Kahan's: the rounding of exp(x)
    cancels out)."""
    u = exp(x)
    if x > 1.0 or x < -1.0:
        return u - 1.0
    if u == 1.0:
        return x
    return (u - 1.0) * x / log(u)


def log2(x: float) -> float:
    return log(x) / LN2
