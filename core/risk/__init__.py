"""Risk control (风险分级管控): scoring schemes, LEC/LS scoring, dynamic risk and the control
list."""
