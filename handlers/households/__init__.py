"""Households (户): created by 门牌, joined by code; members' earned points count for the household, which is
rated 星级文明户."""
