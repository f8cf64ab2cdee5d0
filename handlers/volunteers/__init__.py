"""The volunteer force: 报到 and profiles, 志愿服务队 teams, and 点单 → 派单 → 接单."""
