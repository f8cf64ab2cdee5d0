"""Organisations that fix things (物业, 维保单位, utilities, departments, the 街道): routing, 转单/退单/挂账."""
