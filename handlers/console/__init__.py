"""社区工作台: the community office's web console (login links, board, ticket page, statistics, exports)."""
