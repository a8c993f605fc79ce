@main
struct CeleriacBenchmarks {
    static func main() {}
}
