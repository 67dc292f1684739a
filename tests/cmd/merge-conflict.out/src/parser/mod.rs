fn parse() -> Reading {}
