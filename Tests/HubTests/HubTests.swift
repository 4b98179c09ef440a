// HubTests: tests for the Hub module.
import Testing
