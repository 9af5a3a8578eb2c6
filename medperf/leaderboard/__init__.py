"""The benchmark leaderboard: per model, site metrics with CIs, the mean over sites and the worst site."""

from medperf.leaderboard.table import Leaderboard, LeaderboardRow, SiteScore, build_leaderboard

__all__ = ["Leaderboard", "LeaderboardRow", "SiteScore", "build_leaderboard"]
