public enum FaultlineController {}
