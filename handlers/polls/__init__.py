"""Polls and short surveys in chosen groups, and the 需求清单 residents add to and +1."""
