"""forum: the discussion forum and live world café of the NMA community (Article 6.8)."""

__version__ = "0.1.0"
