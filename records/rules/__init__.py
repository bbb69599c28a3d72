"""records/rules"""
