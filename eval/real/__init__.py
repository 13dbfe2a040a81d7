"""Evaluation on real news: ``../shared/corpora/real-news`` (relevance, topics, stories).

The corpus is third-party text kept beside the project for testing only; it is read in place and never
copied. When it is absent (a user's machine) every suite here says so and skips.
"""
