"""The fault-injection suite (`make faults`): a private stack, traffic, and things going wrong."""
