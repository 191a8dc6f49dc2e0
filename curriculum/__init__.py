"""curriculum: turn a catalog of learning modules into tailored ML upskilling
paths and publish them as syllabi."""

__version__ = "0.1.0"
