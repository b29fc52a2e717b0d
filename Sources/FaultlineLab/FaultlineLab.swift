public enum FaultlineLab {}
