"""爱心存折 love passbook: the points ledger, earning, checking, and the 爱心超市 where points are spent."""
