"""Residents' data rights (PIPL): /mydata, /forget and the retention rule."""
