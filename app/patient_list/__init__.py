"""The clinic's patient list: one page in SQL, filtered and sorted, and all of it as CSV."""
