"""bigbadminima: gradient flow, Kac-Rice landscapes and ML-AMP in the spiked matrix-tensor model.

Reference reproduction of Sarao Mannelli, Biroli, Cammarota, Krzakala, Zdeborová,
"Who is Afraid of Big Bad Minima?" (NeurIPS 2019) and "Passed & Spurious" (ICML 2019).
The physics spec is theory.md (shared with the project); each module cites its sections.
"""

__version__ = "0.1.0"
